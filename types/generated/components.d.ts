import type { Schema, Struct } from '@strapi/strapi';

export interface ContentCorrection extends Struct.ComponentSchema {
  collectionName: 'components_content_corrections';
  info: {
    description: 'A correction or clarification of a published story; dated when the story is next published.';
    displayName: 'Correction';
    icon: 'pencil';
  };
  attributes: {
    date: Schema.Attribute.DateTime;
    kind: Schema.Attribute.Enumeration<['correction', 'clarification']> &
      Schema.Attribute.Required &
      Schema.Attribute.DefaultTo<'correction'>;
    text: Schema.Attribute.Text &
      Schema.Attribute.Required &
      Schema.Attribute.SetMinMaxLength<{
        maxLength: 2000;
      }>;
  };
}

export interface ContentParagraph extends Struct.ComponentSchema {
  collectionName: 'components_content_paragraphs';
  info: {
    description: 'One paragraph of body text.';
    displayName: 'Paragraph';
    icon: 'bulletList';
  };
  attributes: {
    text: Schema.Attribute.Text & Schema.Attribute.Required;
  };
}

export interface MediaFigure extends Struct.ComponentSchema {
  collectionName: 'components_media_figures';
  info: {
    description: 'A photo with its caption, credit, photographer and copyright.';
    displayName: 'Figure';
    icon: 'picture';
  };
  attributes: {
    alt: Schema.Attribute.String &
      Schema.Attribute.SetMinMaxLength<{
        maxLength: 255;
      }>;
    caption: Schema.Attribute.Text &
      Schema.Attribute.SetMinMaxLength<{
        maxLength: 1000;
      }>;
    copyright: Schema.Attribute.String &
      Schema.Attribute.SetMinMaxLength<{
        maxLength: 500;
      }>;
    credit: Schema.Attribute.Relation<
      'oneToOne',
      'api::image-credit.image-credit'
    >;
    image: Schema.Attribute.Media<'images'>;
    photographer: Schema.Attribute.String &
      Schema.Attribute.SetMinMaxLength<{
        maxLength: 255;
      }>;
  };
}

declare module '@strapi/strapi' {
  export namespace Public {
    export interface ComponentSchemas {
      'content.correction': ContentCorrection;
      'content.paragraph': ContentParagraph;
      'media.figure': MediaFigure;
    }
  }
}
