import { Field, ObjectType } from 'type-graphql';

/** A rule the input broke, with the path to the field that broke it. */
@ObjectType({ description: 'A rule the input broke, with the path to the field that broke it.' })
export class FieldError {
  @Field(() => [String], { description: 'Path into the input, e.g. ["taskContent","0","target","3","phone"].' })
  path!: string[];

  @Field(() => String, { description: 'What is wrong. Never repeats the value sent.' })
  message!: string;
}
